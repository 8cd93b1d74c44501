-- devhost trigger state: blob receipts (like the host's blob receipts) and timer schedule status.
-- depends: devhost-0001.durable

CREATE TABLE devhost_blob_receipts (
    function_name text NOT NULL,
    blob_path     text NOT NULL,          -- container/name
    etag          text NOT NULL,
    status        text NOT NULL,          -- done, failed, poisoned
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (function_name, blob_path)
);

CREATE TABLE devhost_timer_status (
    function_name text PRIMARY KEY,
    last_run      timestamptz,
    next_run      timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
