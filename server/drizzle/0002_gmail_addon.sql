CREATE TABLE "gmail_addon_emails" (
	"user_id" uuid NOT NULL,
	"gmail_key" text NOT NULL,
	"context_id" uuid NOT NULL,
	"link_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gmail_addon_emails_user_id_gmail_key_pk" PRIMARY KEY("user_id","gmail_key")
);
--> statement-breakpoint
ALTER TABLE "gmail_addon_emails" ADD CONSTRAINT "gmail_addon_emails_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gmail_addon_emails" ADD CONSTRAINT "gmail_addon_emails_context_id_contexts_id_fk" FOREIGN KEY ("context_id") REFERENCES "public"."contexts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gmail_addon_emails" ADD CONSTRAINT "gmail_addon_emails_link_id_chat_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."chat_links"("id") ON DELETE cascade ON UPDATE no action;