// `engram`: everything lives in EngramCLI; this only hands over the process's arguments.
import EngramCLI

await EngramCLI.main()
