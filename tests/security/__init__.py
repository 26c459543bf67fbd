"""One named regression test per finding of the access and audit review (issue 10)."""
