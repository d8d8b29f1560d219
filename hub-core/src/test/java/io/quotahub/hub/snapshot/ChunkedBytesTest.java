package io.quotahub.hub.snapshot;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Random;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

class ChunkedBytesTest {

    @Test
    void bytesWrittenInPiecesAndAppendedReadBackInOrder_withTheirCrc() throws Exception {
        Random random = new Random(7);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        ChunkedBytes first = new ChunkedBytes();
        for (int i = 0; i < 500; i++) { // single bytes and runs across chunk boundaries
            byte[] run = new byte[random.nextInt(2_000)];
            random.nextBytes(run);
            first.write(run, 0, run.length);
            first.write(i);
            expected.write(run);
            expected.write(i);
        }
        ChunkedBytes second = ChunkedBytes.of(new byte[] {1, 2, 3});
        first.append(second);
        expected.write(new byte[] {1, 2, 3});
        first.write(9); // after an append: a new chunk, the adopted one is not overwritten
        expected.write(9);

        byte[] all = expected.toByteArray();
        assertThat(first.length()).isEqualTo(all.length);
        assertThat(first.toByteArray()).isEqualTo(all);
        CRC32 crc = new CRC32();
        crc.update(all);
        assertThat(first.crc32()).isEqualTo(crc.getValue());
        assertThat(first.inputStream().readAllBytes()).isEqualTo(all);
    }

    @Test
    void aReadFillsTheCallersBufferAcrossChunks_soTheObjectStoreCutsEqualChunks() throws Exception {
        ChunkedBytes bytes = new ChunkedBytes();
        bytes.write(new byte[3 * ChunkedBytes.CHUNK + 10], 0, 3 * ChunkedBytes.CHUNK + 10);
        InputStream in = bytes.inputStream();
        byte[] buffer = new byte[128 * 1024];
        assertThat(in.read(buffer)).isEqualTo(buffer.length);
        assertThat(in.read(buffer)).isEqualTo(ChunkedBytes.CHUNK + 10);
        assertThat(in.read(buffer)).isEqualTo(-1);
    }

    @Test
    void aSnapshotEncodedFromChunksDecodesAsTheOneEncodedFromArrays() throws Exception {
        HubSnapshot s = new HubSnapshot("main", 12, 7, 1_000, 19, new byte[200_000], new byte[] {4, 5});
        s.engineState()[123_456] = 42;
        byte[] viaArrays = s.encode();
        byte[] viaChunks = HubSnapshot.encode(s.mark(), ChunkedBytes.of(s.engineState()), ChunkedBytes.of(s.foldState()))
                .inputStream().readAllBytes();
        assertThat(viaChunks).isEqualTo(viaArrays);
        HubSnapshot back = HubSnapshot.decode(viaChunks);
        assertThat(back.mark()).isEqualTo(s.mark());
        assertThat(back.engineState()).isEqualTo(s.engineState());
        assertThat(back.foldState()).isEqualTo(s.foldState());
    }
}
