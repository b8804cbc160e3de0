# expect: none
# safe: tempfile.NamedTemporaryFile creates the file atomically with an unpredictable name and 0600 permissions
import csv
import tempfile

from flask import Flask, send_file

from shop.models import recent_orders

app = Flask(__name__)


def export_orders_csv(orders):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", prefix="orders_", newline="", encoding="utf-8", delete=False) as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "customer", "total"])
        for order in orders:
            writer.writerow([order.id, order.customer, order.total])
        return fh.name


@app.route("/admin/orders.csv")
def download_orders():
    path = export_orders_csv(recent_orders(limit=500))
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name="orders.csv")
