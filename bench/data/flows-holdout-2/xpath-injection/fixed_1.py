# expect: none
# safe: user values passed as XPath variables ($name, $dept) instead of being formatted into the expression
from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
tree = etree.parse("config/users.xml")
ROLE_QUERY = etree.XPath("//user[@name=$name and @dept=$dept]/role/text()")


@app.route("/user/roles")
def user_roles():
    username = request.args.get("username", "")
    department = request.args.get("dept", "")
    roles = ROLE_QUERY(tree, name=username, dept=department)
    return jsonify({"username": username, "roles": [str(r) for r in roles]})
