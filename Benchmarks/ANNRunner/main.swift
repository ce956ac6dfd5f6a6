// engram-ann: parses arguments and runs the sweep; see ANNRunner.swift.
ANNRunner.main()
