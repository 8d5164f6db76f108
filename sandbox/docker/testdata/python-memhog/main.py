print("loading everything into memory", flush=True)
hog = []
while True:
    hog.append(b"x" * (64 << 20))
