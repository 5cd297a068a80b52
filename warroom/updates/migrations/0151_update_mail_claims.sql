-- Who claimed a mail (host:pid:uuid, as pages and deliveries): with several
-- hosts, only the claim's owner records its outcome, so a slow host whose
-- claim was taken over after stale_seconds cannot undo the new owner's send.
ALTER TABLE update_mails ADD COLUMN claim_token TEXT;
