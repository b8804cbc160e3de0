# expect: log-injection line 12
import logging

logging.basicConfig(filename="search.log", level=logging.INFO)


def main():
    while True:
        query = input("search> ")
        if not query:
            break
        logging.info("User searched for: " + query)
        print(f"no results for {query}")


if __name__ == "__main__":
    main()
