# expect: none
# safe: mode 0o750, no write access for group or others
import os

from flask import Flask, request

app = Flask(__name__)
UPLOAD_ROOT = "/srv/uploads"


@app.route("/projects", methods=["POST"])
def create_project():
    name = request.form["name"]
    project_dir = os.path.join(UPLOAD_ROOT, str(abs(hash(name))))
    os.makedirs(project_dir, mode=0o750, exist_ok=True)
    return {"dir": project_dir}
