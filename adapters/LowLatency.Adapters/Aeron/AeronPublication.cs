using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Aeron;

/// <summary>
/// The sending side of Aeron's unicast UDP protocol (PROTOCOL.md §6–§8), independent of any transport. The caller appends
/// messages with <see cref="Offer"/>, hands it control frames from the subscriber (<see cref="OnControl"/>: SM, NAK, ERR,
/// RTTM) and runs <see cref="DoWork"/> every duty cycle, which sends through an <see cref="IDatagramSender"/>: SETUP until
/// the first status message, data within the receiver's window, heartbeats when idle, retransmissions from the retained
/// terms, and after <see cref="Close"/> end-of-stream heartbeats for the linger time. Single-threaded; allocation-free
/// after construction; bad control frames are counted in <see cref="Counters"/>, never thrown.
/// </summary>
/// <remarks>
/// The log is three terms used cyclically like Aeron's partitions (§6.1). The publication window keeps the log at most
/// term/2 ahead of the sender position, and NAKs are honoured only back to term/2 + max message behind it (§8.5), so a
/// retransmission never reads a term that new messages are overwriting.
/// </remarks>
public sealed partial class AeronPublication
{
    private const int PartitionCount = 3;
    private const int MaxReceivers = 8;
    private const int MaxRetransmits = 16;

    private readonly byte[] _log;
    private readonly int _termLength;
    private readonly int _positionBits;
    private readonly int _mtu;
    private readonly int _maxPayload;
    private readonly int _maxMessageLength;
    private readonly long _publicationWindow;
    private readonly long _maxPosition;
    private readonly AeronPublicationOptions _options;
    private readonly byte[] _control = new byte[64];
    private readonly ReceiverEntry[] _receivers = new ReceiverEntry[MaxReceivers];
    private readonly Range[] _pendingRetransmits = new Range[MaxRetransmits];
    private readonly Range[] _lingeringRetransmits = new Range[MaxRetransmits];
    private readonly int[] _batchLengths;
    private int _pendingRetransmitCount;

    private long _tail;
    private long _senderPosition;
    private long _senderLimit;
    private bool _hasInitialConnection;
    private bool _shouldSendSetup;
    private bool _connected;
    private bool _closed;
    private bool _finished;
    private bool _endOfStreamReceived;
    private bool _endOfStreamSent;
    private long _closeNs;
    private long _lastSetupNs = long.MinValue / 4;
    private long _lastSendNs = long.MinValue / 4;
    private bool _rttmReplyPending;
    private long _rttmEchoTimestamp;
    private long _rttmReceiverId;

    /// <summary>Creates a publication at position 0; throws <see cref="ArgumentException"/> for invalid options.</summary>
    public AeronPublication(AeronPublicationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _termLength = options.TermLength;
        _positionBits = LogPosition.PositionBitsToShift(_termLength);
        _mtu = options.Mtu;
        _maxPayload = options.Mtu - DataFrame.HeaderLength;
        _maxMessageLength = LogPosition.MaxMessageLength(_termLength);
        _publicationWindow = options.PublicationWindowLength == 0 ? _termLength / 2 : options.PublicationWindowLength;
        _maxPosition = ((long)int.MaxValue << _positionBits) - _maxMessageLength - _termLength;
        _log = LowLatency.Models.CommittedArray.Allocate<byte>(PartitionCount * _termLength);
        _batchLengths = new int[options.MaxDatagramsPerWork];
        SessionId = options.SessionId;
        StreamId = options.StreamId;
        InitialTermId = options.InitialTermId;
    }

    /// <summary>Session id in every frame.</summary>
    public int SessionId { get; }

    /// <summary>Stream id in every frame.</summary>
    public int StreamId { get; }

    /// <summary>Term id of position 0.</summary>
    public int InitialTermId { get; }

    /// <summary>Term length.</summary>
    public int TermLength => _termLength;

    /// <summary>Largest datagram.</summary>
    public int Mtu => _mtu;

    /// <summary>Largest message <see cref="Offer"/> accepts: min(term/8, 16 MiB) (§6.5).</summary>
    public int MaxMessageLength => _maxMessageLength;

    /// <summary>Counters of frames sent, control frames received and rejects.</summary>
    public AeronPublicationCounters Counters { get; } = new();

    /// <summary>End of the log: where the next message goes.</summary>
    public long Position => _tail;

    /// <summary>Everything before this has been sent at least once.</summary>
    public long SenderPosition => _senderPosition;

    /// <summary>Sending stops here until the next status message (consumption position + receiver window, §8.3).</summary>
    public long SenderLimit => _senderLimit;

    /// <summary>Whether a receiver sent a status message within the connection timeout (§8.2).</summary>
    public bool IsConnected => _connected;

    /// <summary>Whether <see cref="Close"/> was called.</summary>
    public bool IsClosed => _closed;

    /// <summary>Whether the publication finished lingering after close: nothing more will be sent.</summary>
    public bool IsFinished => _finished;

    /// <summary>Aeron error code of the last ERR frame received, 0 if none (§3.7).</summary>
    public int LastErrorCode { get; private set; }

    /// <summary>
    /// Appends one message (fragmented at mtu − 32 when longer, §6.5), padding to the next term when it does not fit the
    /// current one (§6.4). Returns <see cref="OfferResult.Ok"/> only if the message is now in the log.
    /// </summary>
    public OfferResult Offer(ReadOnlySpan<byte> message)
    {
        if (_closed)
        {
            return OfferResult.Closed;
        }

        if (message.Length > _maxMessageLength)
        {
            return OfferResult.MaxMessageLengthExceeded;
        }

        if (!_connected)
        {
            Counters.NotConnected++;
            return OfferResult.NotConnected;
        }

        // Like Aeron, the limit gates where a message starts, so one message may end beyond it.
        if (_tail >= _senderPosition + _publicationWindow)
        {
            Counters.BackPressured++;
            return OfferResult.BackPressured;
        }

        if (_tail >= _maxPosition)
        {
            return OfferResult.MaxPositionExceeded;
        }

        int required = RequiredLength(message.Length);
        int termOffset = LogPosition.TermOffset(_tail, _termLength);
        if (termOffset + required > _termLength)
        {
            WritePad(termOffset);
            _tail += _termLength - termOffset;
            termOffset = 0;
        }

        int termId = LogPosition.TermId(_tail, _positionBits, InitialTermId);
        Span<byte> term = Partition(_tail);
        if (message.Length <= _maxPayload)
        {
            WriteFrame(term, termOffset, termId, DataFrame.UnfragmentedFlags, message);
        }
        else
        {
            int offset = termOffset;
            int remaining = message.Length;
            byte flags = DataFrame.BeginFlag;
            while (remaining > 0)
            {
                int length = Math.Min(remaining, _maxPayload);
                remaining -= length;
                if (remaining == 0)
                {
                    flags |= DataFrame.EndFlag;
                }

                offset += WriteFrame(term, offset, termId, flags, message.Slice(message.Length - remaining - length, length));
                flags = 0;
            }
        }

        _tail += required;
        Counters.MessagesOffered++;
        return OfferResult.Ok;
    }

    /// <summary>
    /// Stops accepting messages. The remaining log is still sent, then heartbeats carry EOS until the receiver answers
    /// with an EOS status message or the linger time passes (§8.8); <see cref="IsFinished"/> says when.
    /// </summary>
    public void Close(long nowNs)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _closeNs = nowNs;
    }

    /// <summary>Aligned log bytes a message of <paramref name="length"/> takes (all its fragments).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RequiredLength(int length)
    {
        if (length <= _maxPayload)
        {
            return AeronFrame.Align(length + DataFrame.HeaderLength);
        }

        int full = length / _maxPayload;
        int rest = length - (full * _maxPayload);
        return (full * AeronFrame.Align(_mtu)) + (rest == 0 ? 0 : AeronFrame.Align(rest + DataFrame.HeaderLength));
    }

    /// <summary>Writes one DATA frame and zeroes its alignment tail; returns its aligned length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int WriteFrame(Span<byte> term, int termOffset, int termId, byte flags, ReadOnlySpan<byte> payload)
    {
        int frameLength = DataFrame.HeaderLength + payload.Length;
        int aligned = AeronFrame.Align(frameLength);
        Span<byte> frame = term.Slice(termOffset, aligned);
        DataFrame.WriteHeader(frame, frameLength, flags, FrameType.Data, termOffset, SessionId, StreamId, termId);
        payload.CopyTo(frame.Slice(DataFrame.HeaderLength));
        frame.Slice(frameLength).Clear(); // a reused partition holds old bytes; datagrams must not leak them
        return aligned;
    }

    private void WritePad(int termOffset)
    {
        Span<byte> frame = Partition(_tail).Slice(termOffset, DataFrame.HeaderLength);
        DataFrame.WriteHeader(
            frame, _termLength - termOffset, DataFrame.UnfragmentedFlags, FrameType.Pad, termOffset, SessionId, StreamId,
            LogPosition.TermId(_tail, _positionBits, InitialTermId));
        Counters.PadFrames++;
    }

    /// <summary>The term buffer (partition) that holds <paramref name="position"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Partition(long position)
    {
        int index = (int)((ulong)(position >> _positionBits) % PartitionCount);
        return _log.AsSpan(index * _termLength, _termLength);
    }

    private struct ReceiverEntry
    {
        public long ReceiverId;
        public long LastSmNs;
        public bool InUse;
    }

    private struct Range
    {
        public long Start;
        public long End;
        public long Until;
    }
}
