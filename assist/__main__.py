from assist.cli import main

# Guarded: evaluation workers (assist.batch.parallel) are spawned processes, which import
# the main module again and must not run the command a second time.
if __name__ == "__main__":
    main()
