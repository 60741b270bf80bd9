using System.Runtime.InteropServices;

namespace LowLatency.Adapters.Aeron.Udp;

// The Linux message headers recvmmsg(2) and sendmmsg(2) take (x86-64/arm64 LP64 layouts), shared by RecvMmsg and SendMmsg.

/// <summary>struct iovec: one buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}

/// <summary>struct msghdr: the address, the buffers and the flags of one message.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>struct mmsghdr: a message header and the byte count the kernel reports for it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MMsgHdr
{
    public MsgHdr Hdr;
    public uint Length;

    /// <summary>(Re)sets the header for one message of one buffer to or from <paramref name="name"/>: no control data, no flags.</summary>
    public void Set(void* name, uint nameLength, IoVec* iov)
    {
        Hdr.Name = name;
        Hdr.NameLength = nameLength;
        Hdr.Iov = iov;
        Hdr.IovLength = 1;
        Hdr.Control = null;
        Hdr.ControlLength = 0;
        Hdr.Flags = 0;
        Length = 0;
    }
}
