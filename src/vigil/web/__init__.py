"""The review web app: cases, grading with welfare safeguards, accounts and audit.

``create_app`` (app.py) builds the FastAPI application on a :class:`Store`;
``vigil serve`` runs it with uvicorn. Library-side pieces (grouping, grading,
exposure, thumbnails) do not import FastAPI and are tested on their own.
"""
