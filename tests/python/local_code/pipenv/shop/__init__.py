from flask import Flask
def create_app():
    app = Flask(__name__)
    @app.get("/")
    def i():
        return "py8 shop editable\n"
    return app
