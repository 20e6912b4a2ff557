print("stewardctl")
