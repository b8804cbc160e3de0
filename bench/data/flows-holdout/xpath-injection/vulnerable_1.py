# expect: xpath-injection line 13
from flask import Flask, request
from lxml import etree

app = Flask(__name__)
parser = etree.XMLParser(resolve_entities=False, no_network=True)
tree = etree.parse("users.xml", parser)


@app.route("/user")
def user_info():
    name = request.args.get("name", "")
    result = tree.xpath("//user[@name='" + name + "']/email/text()")
    return {"emails": [str(r) for r in result]}
