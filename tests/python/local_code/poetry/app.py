import mylib
from flask import Flask
app = Flask(__name__)
@app.get("/")
def i():
    return "py20 " + mylib.NAME + "\n"
