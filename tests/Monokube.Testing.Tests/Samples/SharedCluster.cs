using Monokube.Testing.Xunit;
using Xunit;

namespace Samples;

// docs/testing-library.md's collection sample: one cluster for every class in the collection (xUnit runs them one after another).
[CollectionDefinition(nameof(SharedCluster))]
public sealed class SharedCluster : ICollectionFixture<MonokubeClusterFixture>;
