#!/usr/bin/env python3
"""An independent client of the COM-port reader protocol (protocol/docs/SERIAL.md), written from the
spec alone with Python's standard library: CRC-16/CCITT-FALSE is binascii.crc_hqx(…, 0xFFFF).
Usage: serial_client.py /dev/pts/N — prints one JSON object with what it observed."""
import binascii, json, os, select, struct, sys, termios, time, tty

STX, ETX = 0x02, 0x03

def frame(seq, cmd, payload=b""):
    body = bytes([seq, cmd]) + struct.pack(">H", len(payload)) + payload
    return bytes([STX]) + body + struct.pack(">H", binascii.crc_hqx(body, 0xFFFF)) + bytes([ETX])

class Port:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        termios.tcflush(self.fd, termios.TCIOFLUSH)
        self.buf = b""

    def send(self, raw):
        os.write(self.fd, raw)

    def recv(self, timeout=3.0):
        """One reply frame: (seq, cmd, payload) after checking CRC and ETX."""
        end = time.time() + timeout
        while True:
            i = self.buf.find(bytes([STX]))
            if i >= 0 and len(self.buf) >= i + 5:
                n = struct.unpack(">H", self.buf[i + 3:i + 5])[0]
                if len(self.buf) >= i + 8 + n:
                    f = self.buf[i:i + 8 + n]
                    self.buf = self.buf[i + 8 + n:]
                    body = f[1:5 + n]
                    assert f[-1] == ETX, "reply without ETX"
                    assert struct.unpack(">H", f[5 + n:7 + n])[0] == binascii.crc_hqx(body, 0xFFFF), "reply CRC"
                    return f[1], f[2], f[5:5 + n]
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("no reply")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 4096)

def main():
    p = Port(sys.argv[1])
    out = {}
    p.send(frame(0x10, 0x00)); out["sync"] = p.recv()[1]
    p.send(frame(0x11, 0x07)); out["info"] = p.recv()[2].decode().split("\n")
    p.send(frame(0x12, 0x02, b"\x00")); out["atr"] = p.recv()[2].hex().upper()
    sel = bytes.fromhex("00A4040010D1580000010000000000000000001100")
    p.send(frame(0x13, 0x04, b"\x00" + sel)); out["select"] = p.recv()[2].hex().upper()
    p.send(frame(0x14, 0x04, b"\x00" + bytes.fromhex("00CA11000200 00".replace(" ", ""))))
    basic = p.recv()[2]
    out["basic_len"] = len(basic)
    out["basic_sw"] = basic[-2:].hex().upper()
    out["id_no"] = basic[32:42].decode()
    out["name"] = basic[12:32].rstrip(b"\x00 ").decode("big5")
    # A retransmission of 0x14 is answered again without executing twice.
    p.send(frame(0x14, 0x04, b"\x00" + bytes.fromhex("00CA110002")))
    out["replay_same"] = p.recv()[2] == basic
    # Corrupted CRC.
    bad = bytearray(frame(0x15, 0x01)); bad[-2] ^= 0xFF
    p.send(bytes(bad)); s, c, pl = p.recv(); out["nak_crc"] = [c, pl[0]]
    # Truncated frame: the reader answers after its inter-byte time-out.
    t0 = time.time()
    p.send(frame(0x15, 0x01)[:4]); s, c, pl = p.recv(); out["nak_truncated"] = [c, pl[0]]
    out["truncated_ms"] = int((time.time() - t0) * 1000)
    # Wrong sequence number.
    p.send(frame(0x40, 0x01)); s, c, pl = p.recv(); out["nak_seq"] = [c, pl[0], pl[1]]
    # Length beyond the maximum.
    p.send(bytes([STX, 0x15, 0x04, 0xFF, 0xFF])); s, c, pl = p.recv(); out["nak_long"] = [c, pl[0]]
    # Noise, then a good frame: still understood.
    p.send(b"\xAA\x55" * 50 + frame(0x15, 0x06, struct.pack(">q", 1_700_000_000))); out["time_set"] = p.recv()[1]
    p.send(frame(0x16, 0x05)); out["time"] = struct.unpack(">q", p.recv()[2])[0]
    p.send(frame(0x17, 0x01)); st = p.recv()[2]; out["status"] = [list(st[i:i + 2]) for i in range(0, len(st), 6)]
    print(json.dumps(out))

main()
