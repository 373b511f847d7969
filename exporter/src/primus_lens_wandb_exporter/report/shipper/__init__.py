"""The hand-off to the shipper process: by default the training process only marshals its rows
and hands them over; JSON, gzip, HTTP, retries and the spool run in a helper process, so their
Python never holds the training process's GIL.

Training process:
    reporter.py   Reporter: rows into blocks on the training thread, the bounded queue, flush
                  and shutdown (what it shares with Sender is in ../base.py)
    handoff.py    the worker thread's side: each batch down the pipe, or, when the shipper
                  cannot run, to an in-process Sender
    link.py       the pipe to the shipper process: start it, write and read with deadlines
Both:
    frames.py     the messages on the pipe (length-prefixed marshal) and the block of rows
Shipper process:
    __main__.py   `python -m primus_lens_wandb_exporter.report.shipper`
    process.py    reads the messages and feeds a Sender (../sender.py) that does the sending
"""
