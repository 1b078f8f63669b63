CREATE TABLE "guest_email_queue" (
	"group_id" uuid NOT NULL,
	"external_user_id" uuid NOT NULL,
	"due_at" timestamp with time zone,
	"pending_since" timestamp with time zone,
	"first_seq" integer,
	"last_seq" integer DEFAULT 0 NOT NULL,
	"sent_seq" integer DEFAULT 0 NOT NULL,
	"last_sent_at" timestamp with time zone,
	"claim_id" uuid,
	"claimed_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "guest_email_queue_group_id_external_user_id_pk" PRIMARY KEY("group_id","external_user_id")
);
--> statement-breakpoint
ALTER TABLE "group_members" ADD COLUMN "email_opt_out" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "guest_email_queue" ADD CONSTRAINT "guest_email_queue_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "guest_email_queue" ADD CONSTRAINT "guest_email_queue_external_user_id_external_users_id_fk" FOREIGN KEY ("external_user_id") REFERENCES "public"."external_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "guest_email_queue_due_idx" ON "guest_email_queue" USING btree ("due_at");