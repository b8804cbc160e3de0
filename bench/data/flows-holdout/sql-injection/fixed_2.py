# expect: none
# safe: the category is passed as a query parameter, not formatted into the SQL
from django.db import connection
from django.http import JsonResponse


def search_products(request):
    category = request.GET.get("category", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, price FROM products WHERE category = %s", [category])
        rows = cursor.fetchall()
    products = [{"id": r[0], "name": r[1], "price": float(r[2])} for r in rows]
    return JsonResponse({"products": products})
