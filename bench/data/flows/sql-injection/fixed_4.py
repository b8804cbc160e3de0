# expect: none
# safe: a bound parameter (:id) in SQLAlchemy's text() instead of string concatenation
from sqlalchemy import text
from sqlalchemy.orm import Session


def delete_product(session: Session, product_id):
    session.execute(text("DELETE FROM products WHERE id = :id"), {"id": product_id})
    session.commit()
