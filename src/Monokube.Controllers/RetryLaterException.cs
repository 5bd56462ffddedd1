namespace Monokube.Controllers;

/// <summary>
/// A reconcile that could not finish yet for a reason that may pass (kube's ignorable errors): the key is tried
/// again after its backoff, logged at debug level rather than as a failure.
/// </summary>
public sealed class RetryLaterException(string message) : Exception(message);
