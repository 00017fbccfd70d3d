"""Deploying to a connector's server over SSH: where a target is (`target.py`), one OpenSSH
connection per target (`ssh.py`), what runs on the server (`remote.sh`, POSIX sh and coreutils)
and the deploy, rollback and status built on them (`server.py`)."""
