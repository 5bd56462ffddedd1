using Monokube.Testing;
using Monokube.Testing.Xunit;

namespace Samples;

// docs/testing-library.md's subclass sample: other options for a fixture.
public sealed class BareApiFixture : MonokubeClusterFixture
{
    protected override MonokubeClusterOptions CreateOptions() => new() { Controllers = false };
}
