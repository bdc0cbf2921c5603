ALTER TABLE "instances" ADD COLUMN "enroll_proof_hash" text;--> statement-breakpoint
-- Hashes of the old enrollment nonces are never accepted again: an observed nonce must not re-enroll.
UPDATE "instances" SET "enroll_nonce_hash" = NULL WHERE "enroll_nonce_hash" IS NOT NULL;