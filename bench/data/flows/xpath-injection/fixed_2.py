# expect: none
# safe: the compiled XPath takes $author as a variable, so the author's text is never parsed as XPath
from lxml import etree


def books_by(catalog_path, author):
    """Titles of the books in the catalog written by `author`."""
    tree = etree.parse(catalog_path)
    find = etree.XPath("//book[author=$author]/title/text()")
    return [str(t) for t in find(tree, author=author)]
