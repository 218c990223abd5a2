"""Prints how many iterations of the bench's pure-Python loop burn TARGET_MS of CPU (argv[1])."""
import sys
import time


def burn(n):
    x = 0
    for i in range(n):
        x += i * i
    return x


def main():
    target = float(sys.argv[1]) / 1000
    n = 200_000
    burn(n)  # warm up
    samples = []
    for _ in range(7):
        c0 = time.process_time()
        burn(n)
        samples.append(time.process_time() - c0)
    samples.sort()
    per_iter = samples[len(samples) // 2] / n
    print(max(1, round(target / per_iter)))


if __name__ == '__main__':
    main()
