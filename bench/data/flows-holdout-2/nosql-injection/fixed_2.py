# expect: none
# safe: no $where JavaScript; max_price typed as float and category matched with $eq in a structured query
from fastapi import FastAPI
from pymongo import MongoClient

app = FastAPI()
products = MongoClient("mongodb://localhost:27017")["shop"]["products"]


@app.get("/products/cheaper-than")
def cheaper_than(max_price: float, category: str = "books"):
    query = {"price": {"$lt": max_price}, "category": {"$eq": category}}
    cursor = products.find(query, {"_id": 0})
    return list(cursor.limit(50))
