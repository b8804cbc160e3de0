# expect: none
# safe: debug mode off by default, only enabled when APP_ENV is explicitly 'development'
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
    debug_enabled = os.environ.get("APP_ENV") == "development"
    app.run(host="127.0.0.1", port=port, debug=debug_enabled)


if __name__ == "__main__":
    main()
