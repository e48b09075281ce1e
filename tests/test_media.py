"""Uploaded images keep no metadata: EXIF (GPS, camera, software), XMP, IPTC, comments and text
chunks are gone from the public file, which is turned upright per its EXIF orientation first."""

import io
import struct
from urllib.parse import urlsplit

import pytest
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from tests.helpers import assert_error

RED, BLUE = (255, 0, 0), (0, 0, 255)
MAKE, MODEL, SOFTWARE = "SpyCam Inc", "SpyCam X9", "GeoTagger 1.0"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="XMP-Xiao-Ming"/></rdf:RDF></x:xmpmeta>'
)
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif(orientation: int = 6) -> bytes:
    """GPS near Changchun, the camera, the software, and an orientation (6: turn 90° clockwise to view)."""
    tags = Image.Exif()
    tags[ExifTags.Base.Make], tags[ExifTags.Base.Model], tags[ExifTags.Base.Software] = MAKE, MODEL, SOFTWARE
    tags[ExifTags.Base.Orientation] = orientation
    gps = tags.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (43.0, 53.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", (125.0, 19.0, 7.25)
    return tags.tobytes()


def iptc_segment() -> bytes:
    """An APP13 (Photoshop 3.0) segment with one IPTC record: the by-line (2:80)."""
    record = b"\x1c\x02\x50" + struct.pack(">H", 15) + b"IPTC-Xiao-Ming."
    block = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    payload = b"Photoshop 3.0\x00" + block
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def two_colours(size=(40, 20)) -> Image.Image:
    """Left half red, right half blue: where the colours end up shows how the image was turned."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def laden_jpeg() -> bytes:
    out = io.BytesIO()
    two_colours().save(out, "JPEG", quality=95, exif=exif(), xmp=XMP, icc_profile=ICC, comment=b"COM-Xiao-Ming")
    data = out.getvalue()
    return data[:2] + iptc_segment() + data[2:]  # right after SOI, as Photoshop writes it


def laden_png() -> bytes:
    info = PngInfo()
    info.add_text("Author", "tEXt-Xiao-Ming")
    info.add_text("Location", "zTXt-Xiao-Ming", zip=True)
    info.add_itxt("Description", "iTXt-Xiao-Ming")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    two_colours().save(out, "PNG", pnginfo=info, exif=exif())
    return out.getvalue()


def laden_webp() -> bytes:
    out = io.BytesIO()
    two_colours().save(out, "WEBP", lossless=True, exif=exif(), xmp=XMP, icc_profile=ICC)
    return out.getvalue()


def laden_gif() -> bytes:
    frames = [Image.new("RGB", (10, 10), c).convert("P") for c in (RED, BLUE)]
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], duration=[200, 300], loop=0, comment=b"GIF-Xiao-Ming"
    )
    return out.getvalue()


def upload(client, headers, content):
    return client.post("/api/mp/v1/uploads", data={"file": (io.BytesIO(content), "photo.jpg")}, headers=headers)


@pytest.fixture
def stored(client, auth):
    """Upload `content` and return (the answer, the bytes of the public file)."""

    def store(content):
        answer = upload(client, auth.wechat_headers("photographer"), content)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        served = client.get(urlsplit(answer.json["url"]).path)
        data = served.data
        served.close()
        return answer, data

    return store


def test_the_laden_samples_carry_what_the_upload_must_drop():
    """Guards the tests below: each metadata item is really in what is sent."""
    sent = laden_jpeg()
    with Image.open(io.BytesIO(sent)) as image:
        present = (
            image.getexif()[ExifTags.Base.Orientation],
            "xmp" in image.info,
            "photoshop" in image.info,
            image.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef],
        )
    assert present == (6, True, True, "N")


# ---- JPEG -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "trace",
    [
        b"Exif\x00\x00",
        MAKE.encode(),
        MODEL.encode(),
        SOFTWARE.encode(),
        b"http://ns.adobe.com/xap/1.0/",
        b"XMP-Xiao-Ming",
        b"Photoshop 3.0",
        b"IPTC-Xiao-Ming",
        b"COM-Xiao-Ming",
    ],
)
def test_a_stored_jpeg_keeps_no_metadata(stored, trace):
    _, data = stored(laden_jpeg())
    assert trace not in data


def test_a_stored_jpeg_has_no_exif_tags_at_all(stored):
    _, data = stored(laden_jpeg())
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}


def test_a_stored_jpeg_has_no_gps(stored):
    _, data = stored(laden_jpeg())
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo)) == {}


def test_a_stored_jpeg_is_turned_upright_per_its_orientation(stored):
    _, data = stored(laden_jpeg())
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (20, 40)


def test_a_turned_jpeg_has_its_left_edge_on_top(stored):
    """Orientation 6 (turn 90° clockwise): the red left half is now the top half."""
    _, data = stored(laden_jpeg())
    with Image.open(io.BytesIO(data)) as image:
        top, bottom = image.convert("RGB").getpixel((10, 5)), image.convert("RGB").getpixel((10, 34))
    assert (_near(top, RED), _near(bottom, BLUE)) == (True, True)


def test_a_stored_jpeg_keeps_its_colour_profile(stored):
    _, data = stored(laden_jpeg())
    with Image.open(io.BytesIO(data)) as image:
        assert image.info.get("icc_profile") == ICC


def test_the_answer_describes_the_stored_file(stored):
    answer, data = stored(laden_jpeg())
    assert (answer.json["mimetype"], answer.json["size"]) == ("image/jpeg", len(data))


def test_wechat_checks_the_cleaned_image(stored, fake_wechat):
    """The original, with its GPS, never leaves the service: WeChat gets the bytes that are kept."""
    answer, _ = stored(laden_jpeg())
    assert fake_wechat.state()["content_checks"][-1] == {"image_bytes": answer.json["size"]}


def test_a_jpeg_without_orientation_keeps_its_shape(stored):
    out = io.BytesIO()
    two_colours().save(out, "JPEG", exif=exif(orientation=1))
    _, data = stored(out.getvalue())
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (40, 20)


def _phone_mpo() -> bytes:
    """A JPEG as many phones write it: a second picture appended as multi-picture data (MPO)."""
    out = io.BytesIO()
    two_colours().save(out, "MPO", save_all=True, append_images=[two_colours((10, 10))], exif=exif(orientation=1))
    return out.getvalue()


def test_a_phones_multi_picture_jpeg_is_accepted(stored):
    _, data = stored(_phone_mpo())
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (40, 20))


def test_a_phones_multi_picture_jpeg_keeps_no_exif(stored):
    _, data = stored(_phone_mpo())
    with Image.open(io.BytesIO(data)) as image:
        assert dict(image.getexif()) == {}


def test_a_jpeg_with_a_garbled_exif_block_is_not_a_500(client, auth):
    out = io.BytesIO()
    two_colours().save(out, "JPEG")
    data = out.getvalue()
    garbage = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\xde\xad" * 40
    data = data[:2] + b"\xff\xe1" + struct.pack(">H", len(garbage) + 2) + garbage + data[2:]
    response = upload(client, auth.wechat_headers("garbler"), data)
    assert response.status_code in (201, 422), response.get_data(as_text=True)


# ---- PNG, WebP, GIF -------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [b"tEXt", b"zTXt", b"iTXt", b"eXIf"])
def test_a_stored_png_keeps_no_text_or_exif_chunks(stored, chunk):
    _, data = stored(laden_png())
    assert chunk not in data


def test_a_stored_png_is_turned_upright_per_its_exif(stored):
    _, data = stored(laden_png())
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (20, 40)


@pytest.mark.parametrize("chunk", [b"EXIF", b"XMP ", MAKE.encode(), b"XMP-Xiao-Ming"])
def test_a_stored_webp_keeps_no_exif_or_xmp(stored, chunk):
    _, data = stored(laden_webp())
    assert chunk not in data


def test_a_stored_webp_keeps_its_colour_profile(stored):
    _, data = stored(laden_webp())
    with Image.open(io.BytesIO(data)) as image:
        assert image.info.get("icc_profile") == ICC


def test_a_stored_webp_is_turned_upright_per_its_exif(stored):
    _, data = stored(laden_webp())
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (20, 40)


def test_a_stored_gif_keeps_no_comment(stored):
    _, data = stored(laden_gif())
    assert b"GIF-Xiao-Ming" not in data


def test_a_stored_gif_keeps_its_frames(stored):
    _, data = stored(laden_gif())
    with Image.open(io.BytesIO(data)) as image:
        assert image.n_frames == 2


def test_every_frame_counts_against_the_pixel_bound(client, auth, monkeypatch):
    """An animation's frames are all decoded when it is cleaned: 2 frames of 10×10 are 200 pixels."""
    from app.media import services

    monkeypatch.setattr(services, "MAX_PIXELS", 150)
    assert_error(upload(client, auth.wechat_headers("animator"), laden_gif()), 422, "not_an_image")


def _near(pixel, colour) -> bool:
    """JPEG is lossy: a colour comes back within a few steps."""
    return all(abs(a - b) <= 24 for a, b in zip(pixel, colour, strict=True))


# ---- how the file is served ------------------------------------------------------------------


@pytest.fixture
def served_headers(client, auth):
    answer = upload(client, auth.wechat_headers("photographer"), laden_jpeg())
    served = client.get(urlsplit(answer.json["url"]).path)
    served.close()
    return served.headers


def test_an_uploaded_file_is_never_kept_by_a_shared_cache(served_headers):
    """Evidence and students' photos are personal: a proxy or CDN keeping a copy for a year would
    go on serving a file the purge deleted."""
    assert "private" in served_headers["Cache-Control"]


def test_an_uploaded_file_is_not_marked_public(served_headers):
    assert "public" not in served_headers["Cache-Control"]


def test_an_uploaded_files_address_leaves_in_no_referer(served_headers):
    """The random name is what keeps the file to those given it: a page it links to never learns it."""
    assert served_headers["Referrer-Policy"] == "no-referrer"


def test_an_uploaded_file_is_kept_by_the_phone_a_day_at_most(served_headers):
    """A photo the purge deleted must not stay on a phone for a year."""
    assert "max-age=86400" in served_headers["Cache-Control"]
