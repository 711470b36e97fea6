"""A picture holding a QR code (made with OpenCV's encoder), for the qrcode tests and the camera clip."""
import cv2
import numpy as np

QUIET = 4  # modules of white around the code, as the standard asks


def qr_frame(text, width=640, height=480, size=300):
    """A grey BGR picture with the code of text in its middle, and the code's (x, y, width, height)
    box, quiet zone excluded."""
    code = cv2.QRCodeEncoder.create().encode(text)
    modules = code.shape[0]
    scale = size // (modules + 2 * QUIET)
    code = cv2.resize(code, (modules * scale,) * 2, interpolation=cv2.INTER_NEAREST)
    code = cv2.copyMakeBorder(code, *(QUIET * scale,) * 4, cv2.BORDER_CONSTANT, value=255)
    frame = np.full((height, width, 3), 90, np.uint8)
    side = code.shape[0]
    top, left = (height - side) // 2, (width - side) // 2
    frame[top:top + side, left:left + side] = code[:, :, None]
    inner = QUIET * scale
    return frame, (left + inner, top + inner, modules * scale, modules * scale)
