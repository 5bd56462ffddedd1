namespace Monokube.ApiServer.Registry.Strategies;

/// <summary>Endpoints: PUT may create, as the endpoints controller relies on.</summary>
public sealed class EndpointsStrategy : ResourceStrategy
{
    public override bool AllowCreateOnUpdate => true;
}
