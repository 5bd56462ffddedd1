namespace Monokube.TestSupport;

/// <summary>The checkout the tests were built from: the first directory above them that holds Monokube.sln.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monokube.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the tests do not run inside the repository");
    }
}
