# expect: flask-debug line 20
import os

from flask import Flask, jsonify


def create_app():
    app = Flask(__name__)

    @app.route("/api/status")
    def status():
        return jsonify({"service": "billing", "ok": True})

    return app


def main():
    app = create_app()
    port = int(os.environ.get("PORT", "5000"))
    app.run(host="127.0.0.1", port=port, debug=True)


if __name__ == "__main__":
    main()
