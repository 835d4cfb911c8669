using System.Diagnostics;
using System.Runtime.InteropServices;

namespace JobGrains.Execution.Commands;

/// <summary>
/// A program started as the leader of a process group of its own, so that everything it starts
/// (unless it moves itself out on purpose) can be signalled at once and nothing outlives it.
/// </summary>
/// <remarks>
/// .NET's <see cref="Process"/> cannot put a child in a new process group. Two ways were weighed:
/// <list type="bullet">
/// <item>posix_spawn with POSIX_SPAWN_SETPGROUP through P/Invoke: then the pipes, the environment
/// and the reaping of the child are ours to write, beside .NET's own SIGCHLD handling, which
/// reaps only the children it started: a second reaper is easy to get subtly wrong.</item>
/// <item><c>/usr/bin/setsid</c> (util-linux, an essential package on Debian): <see cref="Process"/>
/// starts it with the program and its arguments as an argument list (no shell), and it calls
/// setsid(2) and then execs the program in place. It forks only when it already leads a process
/// group, which a child just forked by .NET never does; so the process .NET watches, with its
/// pipes and exit code, is the program itself, and its pid is the group's id.</item>
/// </list>
/// The second keeps .NET's tested process handling and needs only kill(2) for signalling the
/// group (kill with a negative pid), hence this class.
/// </remarks>
internal sealed partial class ProcessGroup
{
    public const string SetsidPath = "/usr/bin/setsid";

    private const int SigKill = 9;
    private const int SigTerm = 15;
    private const int NoSuchProcess = 3; // ESRCH

    private ProcessGroup(Process leader)
    {
        Leader = leader;
        Id = leader.Id;
    }

    /// <summary>Whether programs can be started this way here.</summary>
    public static bool IsSupported => (OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD()) && File.Exists(SetsidPath);

    /// <summary>The program, with its standard streams as the start info redirected them.</summary>
    public Process Leader { get; }

    /// <summary>The process group's id: the leader's pid.</summary>
    public int Id { get; }

    /// <summary>
    /// Starts <paramref name="program"/> with <paramref name="arguments"/> in a new session and
    /// process group. <paramref name="startInfo"/> supplies everything else (streams, environment,
    /// directory); its file name and arguments are set here.
    /// </summary>
    public static ProcessGroup Start(ProcessStartInfo startInfo, string program, IEnumerable<string> arguments)
    {
        startInfo.FileName = SetsidPath;
        startInfo.UseShellExecute = false;
        startInfo.ArgumentList.Clear();

        // "--" ends setsid's own options, so the program's path and arguments are never read as them.
        startInfo.ArgumentList.Add("--");
        startInfo.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{SetsidPath} did not start.");
        return new ProcessGroup(process);
    }

    /// <summary>
    /// Whether the leader or any process of the group is still alive (or not yet reaped). The id
    /// of a group cannot be given to a new process while any member lives, so asking is safe
    /// until the group is gone; after that this says false and no signal is sent again.
    /// </summary>
    public bool IsAlive() => !Leader.HasExited || Kill(-Id, 0) == 0 || Marshal.GetLastPInvokeError() != NoSuchProcess;

    public void Terminate() => Signal(SigTerm);

    public void KillAll() => Signal(SigKill);

    /// <summary>
    /// SIGTERM to the group, then SIGKILL once <paramref name="grace"/> has passed with any of
    /// its processes still alive. Returns once the group is gone (or after SIGKILL and a short
    /// wait for the kernel, should something odd hold it).
    /// </summary>
    public async Task StopAsync(TimeSpan grace, TimeProvider time)
    {
        if (!IsAlive())
        {
            return;
        }

        Terminate();
        if (!await WaitGoneAsync(grace, time))
        {
            KillAll();
            await WaitGoneAsync(TimeSpan.FromSeconds(5), time);
        }
    }

    /// <summary>
    /// Waits until no process of the group is left. The kernel signals no one when a group
    /// empties, so this looks every 20 ms; it runs only while a group is being stopped.
    /// </summary>
    private async Task<bool> WaitGoneAsync(TimeSpan timeout, TimeProvider time)
    {
        var started = time.GetTimestamp();
        while (IsAlive())
        {
            if (time.GetElapsedTime(started) >= timeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), time);
        }

        return true;
    }

    private void Signal(int signal)
    {
        if (Kill(-Id, signal) == 0)
        {
            return;
        }

        var error = Marshal.GetLastPInvokeError();
        if (error == NoSuchProcess && !Leader.HasExited)
        {
            // Not a group yet: setsid has not run. Its pid is still our unreaped child, so the
            // signal can only reach it; killed now, it never starts the program.
            error = Kill(Id, signal) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        // ESRCH (everything is gone already) is the only expected failure; any other would be a bug here.
        if (error is not (0 or NoSuchProcess))
        {
            throw new InvalidOperationException($"kill({-Id}, {signal}) failed with errno {error}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
