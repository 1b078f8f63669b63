CREATE TABLE "link_accesses" (
	"link_id" uuid NOT NULL,
	"external_user_id" uuid NOT NULL,
	"first_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "link_accesses_link_id_external_user_id_pk" PRIMARY KEY("link_id","external_user_id")
);
--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "position" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "group_members" ADD COLUMN "link_id" uuid;--> statement-breakpoint
ALTER TABLE "link_accesses" ADD CONSTRAINT "link_accesses_link_id_chat_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."chat_links"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_accesses" ADD CONSTRAINT "link_accesses_external_user_id_external_users_id_fk" FOREIGN KEY ("external_user_id") REFERENCES "public"."external_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_link_id_chat_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."chat_links"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "messages_group_created_idx" ON "messages" USING btree ("group_id","created_at");