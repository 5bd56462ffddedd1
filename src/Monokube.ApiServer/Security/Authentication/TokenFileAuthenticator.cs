namespace Monokube.ApiServer.Security.Authentication;

/// <summary>
/// kube-apiserver's --token-auth-file: CSV lines "token,user,uid[,\"group1,group2\"]". Tokens are compared in
/// constant time.
/// </summary>
public sealed class TokenFileAuthenticator
{
    private readonly Dictionary<string, UserInfo> _tokens = new(StringComparer.Ordinal);

    public TokenFileAuthenticator(string file)
    {
        var number = 0;
        foreach (var raw in File.ReadAllLines(file))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = SplitCsv(line);
            if (fields.Count < 3)
            {
                throw new FormatException($"{file}:{number}: expected token,user,uid[,groups]");
            }

            var groups = fields.Count > 3 ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            _tokens[fields[0]] = new UserInfo(fields[1], fields[2], groups, new Dictionary<string, IReadOnlyList<string>>());
        }
    }

    public AuthenticationResult Authenticate(string token)
    {
        foreach (var (known, user) in _tokens)
        {
            if (System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(known), System.Text.Encoding.UTF8.GetBytes(token)))
            {
                return AuthenticationResult.Success(user);
            }
        }

        return AuthenticationResult.NotApplicable;
    }

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString().Trim());
        return fields;
    }
}
