# expect: none
# safe: an XPath variable ($name) bound by lxml instead of a formatted expression
from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
USERS = etree.parse("users.xml")


@app.route("/user")
def user_info():
    name = request.args.get("name", "")
    nodes = USERS.xpath("//user[@name=$name]/email/text()", name=name)
    return jsonify({"emails": [str(n) for n in nodes]})
