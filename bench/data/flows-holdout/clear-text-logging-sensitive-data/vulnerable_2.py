# expect: clear-text-logging-sensitive-data line 3
def process_payment(card_number, amount):
    print(f"Charging ${amount:.2f} to card {card_number}")
    return {"status": "charged", "amount": amount}


if __name__ == "__main__":
    card = input("Card number: ")
    total = float(input("Amount: "))
    result = process_payment(card, total)
    print(result["status"])
