# expect: nosql-injection line 11, 12
from fastapi import FastAPI
from pymongo import MongoClient

app = FastAPI()
products = MongoClient("mongodb://localhost:27017")["shop"]["products"]


@app.get("/products/cheaper-than")
def cheaper_than(max_price: str, category: str = "books"):
    where_clause = f"this.price < {max_price} && this.category == '{category}'"
    cursor = products.find({"$where": where_clause}, {"_id": 0})
    return list(cursor.limit(50))
