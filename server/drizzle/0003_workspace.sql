CREATE TABLE "message_seq_history" (
	"message_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	CONSTRAINT "message_seq_history_group_id_seq_pk" PRIMARY KEY("group_id","seq")
);
--> statement-breakpoint
ALTER TABLE "message_seq_history" ADD CONSTRAINT "message_seq_history_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;