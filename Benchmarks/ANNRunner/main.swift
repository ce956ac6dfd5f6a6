// engram-ann: parses arguments and runs the sweep; see ANNRunner.swift.
import VectorMath

// The kernels engramd would run (see BLASBackend.restartOnCapableKernelsIfNeeded()).
BLASBackend.restartOnCapableKernelsIfNeeded()
ANNRunner.main()
