# expect: xpath-injection line 13, 14
from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
tree = etree.parse("config/users.xml")


@app.route("/user/roles")
def user_roles():
    username = request.args.get("username", "")
    department = request.args.get("dept", "")
    expression = f"//user[@name='{username}' and @dept='{department}']/role/text()"
    roles = tree.xpath(expression)
    return jsonify({"username": username, "roles": [str(r) for r in roles]})
