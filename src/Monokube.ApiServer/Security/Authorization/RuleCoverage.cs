namespace Monokube.ApiServer.Security.Authorization;

/// <summary>
/// Whether a set of RBAC rules grants everything another rule grants, as RBAC's escalation check asks: each
/// requested rule is broken down into single-verb, single-resource rules, and each of those must be covered by a
/// rule the user holds. What is not covered is reported in kube's compact form, such as
/// <c>{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}</c>.
/// </summary>
public static class RuleCoverage
{
    /// <summary>The requested rules' parts that <paramref name="owner"/> does not cover, compacted and sorted.</summary>
    public static IReadOnlyList<string> Uncovered(IReadOnlyList<PolicyRule> owner, IEnumerable<PolicyRule> requested)
    {
        var missing = requested.SelectMany(Breakdown).Where(atom => !owner.Any(o => Covers(o, atom))).ToList();
        return Compact(missing).Select(Render).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>One rule per (group, resource, [name], verb) and per (non-resource URL, verb), in kube's order.</summary>
    public static IEnumerable<PolicyRule> Breakdown(PolicyRule rule)
    {
        foreach (var group in rule.ApiGroups)
        {
            foreach (var resource in rule.Resources)
            {
                if (rule.ResourceNames.Count > 0)
                {
                    foreach (var name in rule.ResourceNames)
                    {
                        foreach (var verb in rule.Verbs)
                        {
                            yield return new PolicyRule([verb], [group], [resource], [name], []);
                        }
                    }
                }
                else
                {
                    foreach (var verb in rule.Verbs)
                    {
                        yield return new PolicyRule([verb], [group], [resource], [], []);
                    }
                }
            }
        }

        foreach (var url in rule.NonResourceUrls)
        {
            foreach (var verb in rule.Verbs)
            {
                yield return new PolicyRule([verb], [], [], [], [url]);
            }
        }
    }

    /// <summary>Whether <paramref name="owner"/> grants the single-verb rule <paramref name="atom"/>.</summary>
    public static bool Covers(PolicyRule owner, PolicyRule atom)
    {
        var verb = atom.Verbs[0];
        if (!owner.Verbs.Contains("*") && !owner.Verbs.Contains(verb))
        {
            return false;
        }

        if (atom.NonResourceUrls.Count > 0)
        {
            var url = atom.NonResourceUrls[0];
            return owner.NonResourceUrls.Any(o => o == "*" || o == url || (o.EndsWith('*') && url.StartsWith(o[..^1], StringComparison.Ordinal)));
        }

        var group = atom.ApiGroups[0];
        var resource = atom.Resources[0];
        if (!owner.ApiGroups.Contains("*") && !owner.ApiGroups.Contains(group))
        {
            return false;
        }

        var slash = resource.IndexOf('/', StringComparison.Ordinal);
        var resourceCovered = owner.Resources.Contains("*") || owner.Resources.Contains(resource)
            || (slash > 0 && owner.Resources.Contains("*" + resource[slash..]));
        if (!resourceCovered)
        {
            return false;
        }

        return owner.ResourceNames.Count == 0 || (atom.ResourceNames.Count == 1 && owner.ResourceNames.Contains(atom.ResourceNames[0]));
    }

    // Single-resource rules that differ only in their verbs become one rule with all the verbs.
    private static List<PolicyRule> Compact(List<PolicyRule> atoms)
    {
        var result = new List<PolicyRule>();
        var merged = new Dictionary<(string Group, string Resource, string Name), int>();
        foreach (var atom in atoms)
        {
            if (atom.NonResourceUrls.Count > 0)
            {
                result.Add(atom);
                continue;
            }

            var key = (atom.ApiGroups[0], atom.Resources[0], atom.ResourceNames.Count > 0 ? atom.ResourceNames[0] : "");
            if (merged.TryGetValue(key, out var index))
            {
                var existing = result[index];
                result[index] = existing with { Verbs = [.. existing.Verbs, .. atom.Verbs] };
            }
            else
            {
                merged[key] = result.Count;
                result.Add(atom);
            }
        }

        return result;
    }

    /// <summary>kube's CompactString: the present fields only, Go-quoted.</summary>
    public static string Render(PolicyRule rule)
    {
        var parts = new List<string>();
        if (rule.ApiGroups.Count > 0)
        {
            parts.Add("APIGroups:" + Quote(rule.ApiGroups));
        }

        if (rule.Resources.Count > 0)
        {
            parts.Add("Resources:" + Quote(rule.Resources));
        }

        if (rule.NonResourceUrls.Count > 0)
        {
            parts.Add("NonResourceURLs:" + Quote(rule.NonResourceUrls));
        }

        if (rule.ResourceNames.Count > 0)
        {
            parts.Add("ResourceNames:" + Quote(rule.ResourceNames));
        }

        if (rule.Verbs.Count > 0)
        {
            parts.Add("Verbs:" + Quote(rule.Verbs));
        }

        return "{" + string.Join(", ", parts) + "}";
    }

    /// <summary>A string list as Go's %q prints it: ["a" "b"].</summary>
    public static string Quote(IEnumerable<string> values) => "[" + string.Join(' ', values.Select(v => "\"" + v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")) + "]";
}
