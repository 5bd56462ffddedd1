using System.Runtime.InteropServices;

namespace Monokube.Node;

/// <summary>
/// The kubelet's --lock-file: an exclusive flock held for the agent's life, waited for when another process holds
/// it; with --exit-on-lock-contention, another process opening the file (inotify IN_OPEN, as the kubelet watches)
/// is the signal to exit and let it take over. This is how the managed kubelet takes a node from the bootstrap one.
/// </summary>
public sealed partial class LockFile : IDisposable
{
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const uint InOpen = 0x20;

    private const int OpenReadWrite = 2;
    private const int OpenCreate = 0x40;
    private const int OpenCloseOnExec = 0x80000;

    private int _fd;
    private int _inotify = -1;
    private Thread? _watcher;

    private LockFile(int fd)
    {
        _fd = fd;
    }

    /// <summary>Completes when another process opens the lock file (only when watching for contention).</summary>
    public Task Contended => _contended.Task;

    private readonly TaskCompletionSource _contended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Takes the lock, waiting while another process holds it.</summary>
    public static async Task<LockFile> AcquireAsync(string path, bool watchContention, TimeProvider time, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        // Opened with open(2) itself: .NET's FileStream takes flock locks of its own that would clash with the
        // kubelet's protocol (a second opener must block, not fail).
        var fd = Open(path, OpenReadWrite | OpenCreate | OpenCloseOnExec, Convert.ToInt32("600", 8));
        if (fd < 0)
        {
            throw new IOException($"cannot open the lock file {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            while (Flock(fd, LockExclusive | LockNonBlocking) != 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
            }

            var lockFile = new LockFile(fd);
            if (watchContention)
            {
                lockFile.WatchForOpens(path);
            }

            return lockFile;
        }
        catch
        {
            Close(fd);
            throw;
        }
    }

    public void Dispose()
    {
        if (_inotify >= 0)
        {
            Close(_inotify);
            _inotify = -1;
        }

        if (_fd >= 0)
        {
            Close(_fd);
            _fd = -1;
        }
    }

    private void WatchForOpens(string path)
    {
        _inotify = InotifyInit1(0);
        if (_inotify < 0 || InotifyAddWatch(_inotify, path, InOpen) < 0)
        {
            throw new IOException($"cannot watch {path} for other processes opening it (inotify: errno {Marshal.GetLastPInvokeError()})");
        }

        var fd = _inotify;
        _watcher = new Thread(() =>
        {
            var buffer = new byte[4096];
            unsafe
            {
                fixed (byte* pointer = buffer)
                {
                    // Any event is an open by someone else: this process opened the file before watching it.
                    if (Read(fd, pointer, buffer.Length) > 0)
                    {
                        _contended.TrySetResult();
                    }
                }
            }
        })
        { IsBackground = true, Name = "lock-file contention" };
        _watcher.Start();
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int InotifyInit1(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int InotifyAddWatch(int fd, string path, uint mask);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
