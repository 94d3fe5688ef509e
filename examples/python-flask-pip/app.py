"""A Flask app served by gunicorn (dockless starts `gunicorn app:app` on $PORT)."""

import sys

import flask
from flask import Flask
from markupsafe import escape

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return f"hello from flask {flask.__version__} on python {sys.version.split()[0]} ({escape('<pip>')})\n"
