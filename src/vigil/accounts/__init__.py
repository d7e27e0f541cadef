"""People who use the review app: accounts, passwords, logins and case assignments.

The CLI (``vigil user …``) and the web app share these functions; every change
is written to the global audit chain inside the same transaction.
"""
