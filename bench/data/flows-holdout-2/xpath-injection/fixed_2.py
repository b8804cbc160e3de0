# expect: none
# safe: ISBN validated to digits/X and compared in Python while iterating elements; no XPath built from input
import re

from lxml import etree

CATALOG_FILE = "catalog.xml"
ISBN_RE = re.compile(r"^[0-9]{9}[0-9X]([0-9]{3})?$")


def find_book_title(isbn):
    root = etree.parse(CATALOG_FILE).getroot()
    for book in root.iter("book"):
        if book.get("isbn") == isbn:
            return book.findtext("title")
    return None


def main():
    isbn = input("ISBN to look up: ").strip().replace("-", "")
    if not ISBN_RE.match(isbn):
        print("invalid ISBN")
        return
    title = find_book_title(isbn)
    print(title or "not found")


if __name__ == "__main__":
    main()
