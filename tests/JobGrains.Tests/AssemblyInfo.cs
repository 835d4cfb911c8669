// The suite runs on 2-core CI machines; clusters and silo processes from parallel collections
// would starve each other's membership probes. One collection at a time keeps faults deterministic.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
