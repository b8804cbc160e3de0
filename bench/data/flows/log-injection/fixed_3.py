# expect: none
# safe: newlines in the query are replaced by an escaped \n before logging
import logging

logging.basicConfig(filename="search.log", level=logging.INFO)


def main():
    while True:
        query = input("search> ")
        if not query:
            break
        logging.info("User searched for: " + query.replace("\n", "\\n").replace("\r", "\\r"))
        print(f"no results for {query}")


if __name__ == "__main__":
    main()
